"""The Dash web app: dashboards for planners, uploads for provinces, scoring for evaluators."""
