"""Serializers validate and shape; writes go through members.core.services.api_upserts."""
