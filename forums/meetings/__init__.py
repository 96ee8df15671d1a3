"""A forum's sessions (meetings): scheduling, registration with a waiting list, minutes."""
