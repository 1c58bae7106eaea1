rule all:   # want: Snakemake syntax
    input: "counts/a.txt"

rule count:
    input: "data/{sample}.txt"
    output: "counts/{sample}.txt"
    shell: "wc -l {input} > {output}"
