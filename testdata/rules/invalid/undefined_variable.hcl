rule "count" {
  input  = "data/${wildcard.sample}.txt"   # want: Unknown variable
  output = "counts/{sample}.txt"
  shell  = "wc -l ${inputs} > ${output}"   # want: Unknown variable
}

rule "order" {
  input  = ["data/{sample}.txt", params.extra]   # want: Variable not available here
  output = "order/{sample}.txt"
  params = { extra = "x" }
  message = "${wildcards.smaple}"   # want: Unknown wildcard
}

rule "early" {
  output = "early/${wildcards.sample}.txt"   # want: Variable not allowed in output
}

config {
  x = y   # want: Variables not allowed
}

rule "all" {
  input = "x/${wildcards.sample}.txt"   # want: Unknown wildcard
}
