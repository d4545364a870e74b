"""Stand-ins for what is around the server (LHM's web server, Open-Meteo): tests, benches, demos."""
