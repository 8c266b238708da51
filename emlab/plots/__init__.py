"""Every figure of the course: one function per figure; each takes ``ax=`` and returns what it drew."""
