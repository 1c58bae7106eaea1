rule "all" {
  input = expnd("plots/{sample}.png", { sample = ["a"] })   # want: Call to unknown function
}

rule "plot" {
  output = "plots/{sample}.png"
  shell  = "plot ${uper(wildcards.sample)} > ${output}"   # want: Call to unknown function
}
