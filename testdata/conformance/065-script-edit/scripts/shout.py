import os

with open(os.environ["JOURNAL"], "a") as j:
    print("shout", file=j)
with open(snakemake.input[0]) as f, open(snakemake.output[0], "w") as out:
    out.write(f.read().upper())
