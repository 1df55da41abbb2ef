/** The reference p2pchat client. */
package io.p2pchat.example;
