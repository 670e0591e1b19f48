"""Work that runs on the clock: scheduled posts, and the lock that lets one process run them."""
