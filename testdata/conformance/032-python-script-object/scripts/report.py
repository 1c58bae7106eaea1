# Written for Snakemake: reads everything from the snakemake object.
import os

with open(os.environ["JOURNAL"], "a") as j:
    print("report s=" + snakemake.wildcards.s, file=j)

with open(snakemake.input.data) as f:
    data = f.read().strip()

lines = [
    "rule " + snakemake.rule,
    "input0 " + snakemake.input[0],
    "extra " + snakemake.input["extra"],
    "data " + data,
    "n " + str(snakemake.params.n + 1),
    "wildcard " + snakemake.wildcards["s"],
    "threads " + str(snakemake.threads),
    "mem " + str(snakemake.resources.mem_mb),
    "greeting " + snakemake.config["greeting"],
    "inputs " + " ".join(snakemake.input),
]
with open(snakemake.output.main, "w") as out:
    out.write("\n".join(lines) + "\n")
with open(snakemake.output[1], "w") as side:
    side.write("side of " + snakemake.wildcards.s + "\n")
with open(snakemake.log[0], "w") as log:
    log.write("logged\n")
