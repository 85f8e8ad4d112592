"""Activities and tasks: the sales team's calls, meetings and to-dos."""
