"""Times the Streamlit side of the frames benchmark with streamlit.testing.v1.AppTest.

Usage: python bench.py CSV CACHE TABLE WARMUP ITERATIONS
  CACHE: cache_resource (the frame shared, as Runnel shares it) or cache_data (a copy per hit)
  TABLE: head (st.dataframe(rows.head(1000))) or full (st.dataframe(rows))

Prints one JSON line: the first run (load + page) and the growth of the process's resident
memory over it, the loaded frame's size (pandas memory_usage(deep=True)), then per rerun the
wall time of at.run() (script run with the changed widget, elements built and serialised to
protobuf, the element tree parsed) and the page script's own time; times in seconds.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import probe  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

REGIONS = ["North", "South", "East", "West"]
PRODUCTS = ["Widgets", "Gadgets", "Gizmos", "Doohickeys"]


def main():
    csv, cache, table, warmup, iterations = sys.argv[1:6]
    warmup, iterations = int(warmup), int(iterations)
    probe.CSV, probe.CACHE, probe.TABLE = csv, cache, table
    at = AppTest.from_file(os.path.join(HERE, "page.py"), default_timeout=600)
    rss = resident_bytes()
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    rss_growth = resident_bytes() - rss
    check(at)
    probe.script_times.clear()
    runs = []
    for i in range(warmup + iterations):
        # The same sequence as the Runnel side: the two selectboxes in turn, cycling values.
        if i % 2 == 0:
            at.selectbox(key="region").set_value(REGIONS[i % 4])
        else:
            at.selectbox(key="product").set_value(PRODUCTS[(i // 4) % 4])
        started = time.perf_counter()
        at.run()
        took = time.perf_counter() - started
        check(at)
        if i >= warmup:
            runs.append(took)
    script = probe.script_times[warmup:]
    result = {"first": first, "runs": runs, "script": script}
    result.update(frame_bytes=probe.frame_bytes, rss_growth=rss_growth)
    print(json.dumps(result))


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def check(at):
    if at.exception:
        raise SystemExit(f"the Streamlit page failed: {at.exception}")
    if len(at.metric) != 3 or len(at.dataframe) != 1:
        raise SystemExit("the Streamlit page did not draw its metric row and data frame")


if __name__ == "__main__":
    main()
