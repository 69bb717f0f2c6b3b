"""Writes the notebooks in this folder from the cells below (run it after editing them;
the test suite executes the .ipynb files with nbclient)."""
import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).resolve().parent

SETUP = """import os, pathlib, sys
ROOT = pathlib.Path.cwd().resolve()
while not (ROOT / "scenarios").is_dir():
    ROOT = ROOT.parent
sys.path.insert(0, str(ROOT / "build" / "python"))  # a source checkout; an install needs nothing
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
import meshproof"""

CAPACITY = [
    new_markdown_cell("# Capacity: latency and utilisation against load, and the replicas an SLO needs\n\n"
                      "One Service (`queue/node-a`, 10 ms exponential service) behind random load "
                      "balancing. We sweep the offered load to find the knee, then search for the "
                      "smallest replica count that keeps the mean latency under 25 ms at 450 req/s."),
    new_code_cell(SETUP),
    new_code_cell("""scenario = {
    "apiVersion": "meshproof.dev/v1alpha1", "kind": "Scenario", "metadata": {"name": "capacity"},
    "spec": {
        "mesh": ["scenarios/validation/mesh"], "seed": 3, "duration": "200s", "warmup": "20s",
        "window": "200s", "replications": 5, "loadBalancing": "random",
        "sources": [{"name": "load", "from": "queue/client", "to": "queue/node-a", "rate": 50}],
        "workloads": [{"workload": "queue/node-a", "replicas": 1,
                       "serviceTime": {"distribution": "exponential", "mean": "10ms"}}],
        "slos": [{"name": "mean-latency", "edge": {"from": "queue/client", "to": "queue/node-a"},
                  "metric": "mean_response_latency", "max": "25ms"}],
    },
}
grid = meshproof.sweep(scenario, base_dir=ROOT, vary={"sources[load].rate": list(range(10, 100, 10))})
table = pd.DataFrame(meshproof.sweep_table(grid))
table[["sources[load].rate", "mean-latency", "mean_response_latency", "p99_response_latency"]]"""),
    new_code_cell("""nodes = pd.DataFrame(meshproof.nodes_table(grid))
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
meshproof.plot_sweep(grid, x="sources[load].rate", y="mean-latency", ax=left)
left.set_title("mean latency (s) against load: the knee near 80% utilisation")
right.plot(nodes["sources[load].rate"], nodes["utilisation"], marker="o")
right.set_xlabel("offered load (req/s)"); right.set_ylabel("utilisation")
fig.tight_layout()
knee = table.loc[table["mean_response_latency"] > 2 * table["mean_response_latency"].min(), "sources[load].rate"].min()
print("latency doubles from", knee, "req/s")"""),
    new_code_cell("""scaled = meshproof.sweep(scenario, base_dir=ROOT, overrides={"sources[load].rate": 450},
                         find_min=("workloads[queue/node-a].replicas", 1, 16))
print(scaled["search"])
ax = meshproof.plot_sweep(scaled, x="workloads[queue/node-a].replicas", y="mean-latency")
ax.set_title("replicas needed at 450 req/s")
assert scaled["search"]["best"] == 8  # c M/M/1 queues: 1/(100 - 450/c) <= 25 ms from c = 8"""),
]

CANARY = [
    new_markdown_cell("# Canary: P(promotion) against the canary's error rate\n\n"
                      "The `canary-healthy` scenario (Flagger with OSM metrics, 50 req/s of users, a "
                      "99% success-rate threshold) with the canary's error rate overridden."),
    new_code_cell(SETUP),
    new_code_cell("""rows = []
for rate in [0.0, 0.002, 0.005, 0.008, 0.012, 0.02]:
    p = meshproof.canary(ROOT / "scenarios/canary-healthy/scenario.yaml", replications=40,
                         overrides={"canary.canary.errorRate": rate})
    o = p["outcome"]["promoted"]
    rows.append({"canary_error_rate": rate, "p_promoted": o["p"],
                 "low": o["ci95"][0], "high": o["ci95"][1],
                 "failed_user_requests": p["failedUserRequests"]["mean"]})
promotion = pd.DataFrame(rows)
promotion"""),
    new_code_cell("""fig, ax = plt.subplots()
ax.plot(promotion["canary_error_rate"], promotion["p_promoted"], marker="o", label="P(promotion)")
ax.fill_between(promotion["canary_error_rate"], promotion["low"], promotion["high"], alpha=0.25,
                label="95% interval")
ax.axvline(0.01, color="red", linestyle="--", label="1% errors (the threshold)")
ax.set_xlabel("canary error rate"); ax.set_ylabel("P(promotion)"); ax.legend()
assert promotion["p_promoted"].iloc[0] > 0.9 and promotion["p_promoted"].iloc[-1] < 0.1"""),
]

CI = [
    new_markdown_cell("# CI: verify and diff results as DataFrames\n\n"
                      "What a policy gate sees, ready for pandas: the findings of `verify` and what a "
                      "change grants or revokes (`diff`)."),
    new_code_cell(SETUP),
    new_code_cell("""findings = pd.DataFrame(meshproof.verify(ROOT / "scenarios/bookstore/mesh")["diagnostics"])
findings[["code", "severity", "message"]].head(10)"""),
    new_code_cell("""import shutil, tempfile
new = pathlib.Path(tempfile.mkdtemp()) / "mesh"
shutil.copytree(ROOT / "scenarios/bookstore/mesh", new)
access = (new / "50-access.yaml").read_text()
(new / "50-access.yaml").write_text(access.replace("namespace: bookbuyer", "namespace: bookthief", 1))
change = meshproof.diff(ROOT / "scenarios/bookstore/mesh", new)
print("verdict:", change["verdict"])
edges = pd.DataFrame(change.get("changes", []))
edges.head()"""),
    new_code_cell("""counts = findings.groupby("severity").size()
ax = counts.plot.bar(title="bookstore findings by severity")
ax.set_ylabel("findings")"""),
]

for name, cells in [("capacity", CAPACITY), ("canary", CANARY), ("ci", CI)]:
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.write(nb, HERE / f"{name}.ipynb")
