"""Relationship Warehouse orchestration: build, audit and publish the warehouse."""
