"""Diffusion executors: model loading, the pipelines table, one executor per mode and family.

Latent cache and step reporting live here too. Imports planner and executors.images; never server.
"""
