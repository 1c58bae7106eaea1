# Snakemake's expand(pattern, name=values) form.
config {
  samples = ["a", "b"]
}

rule "all" {
  input = expand("out/{sample}.{ext}", sample=config.samples, ext=["txt", "log"])   # want: Keyword argument
}
