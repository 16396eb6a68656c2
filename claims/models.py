# Claims arrive with their own issue; the app exists so the layout of DESIGN.md holds from the start.
