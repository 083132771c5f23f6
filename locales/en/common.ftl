app-name = meldroute
