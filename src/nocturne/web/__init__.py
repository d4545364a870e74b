"""The web endpoint: the dashboard, its API and WebSocket, /metrics (aiohttp.web)."""
