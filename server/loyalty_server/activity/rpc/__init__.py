"""ActivityService: thin handlers over the activity domain, one mixin per area."""
