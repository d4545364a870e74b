"""Stand-ins for the things around the server (LHM's web server, Open-Meteo), for tests, benches and demos."""
