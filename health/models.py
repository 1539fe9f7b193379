"""Models of this app arrive with its issue; the app is registered so migrations stay linear."""
