"""Print-ready export: repeat layouts, streaming PNG, ink reduction, layered SVG, colourways.

Nothing here imports torch or Qt, so exporting stays light enough to run beside the studio
and in a fresh process for `wenyang bench export`.
"""
