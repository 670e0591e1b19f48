"""What the layers above share: configuration, caches, pacing, filters, middlewares, the
update's transaction helpers. It imports none of them (bot/ wires it all together)."""
