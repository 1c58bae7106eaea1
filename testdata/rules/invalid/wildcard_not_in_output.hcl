rule "count" {
  input     = ["data/{sample}/{lane}.txt"]   # want: Wildcard not in outputs
  output    = "counts/{sample}.txt"
  log       = "logs/{unit}.log"   # want: Wildcard not in outputs
  benchmark = "bench/${rule}/{smaple}.tsv"   # want: Wildcard not in outputs
  shell     = "wc -l ${input} > ${output}"
}

rule "gather" {
  # {sample} belongs to expand; {{unit}} becomes a wildcard of the rule.
  input  = expand("x/{sample}.{{unit}}.txt", { sample = ["a", "b"] })   # want: Wildcard not in outputs
  output = "gathered.txt"
}
