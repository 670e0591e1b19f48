"""fanbot on the web: the operators' console, the public draw pages and the members' Mini App."""
