"""HTTP routes, a module per domain; thin: parse, call the domain's service, shape the answer."""
