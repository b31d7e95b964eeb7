"""Webmention in and out (W3C Recommendation, https://www.w3.org/TR/webmention/).

Receiving: endpoint (the route), targets (which pages take responses), queue (the
durable verification queue and its worker), fetch (bounded, address-checked HTTP),
verify (the link check and the mf2 reading), responses (a verified webmention becomes
a comment row). Sending: discover (endpoint discovery), send (the sender), commands
(`colloquy webmention send`). docs/webmention.md describes all of it.
"""
