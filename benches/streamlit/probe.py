# Shared between bench.py and page.py (AppTest runs the page in this process): the variant
# to run and the page script's own run times.
CSV = ""
CACHE = "cache_resource"
TABLE = "head"
script_times = []
frame_bytes = None
