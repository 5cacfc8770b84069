"""``jxc sandbox``: the real app with a built-in fake WeCom, demo data and a local chat page."""
