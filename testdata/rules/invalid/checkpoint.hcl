rule "split" {
  output = "parts/{sample}"
}

rule "gather" {
  input  = checkpoint_output("split", wildcards)   # want: Unknown checkpoint
  output = "gathered/{sample}.txt"
}

rule "gather2" {
  input  = checkpoint_output("splt", wildcards)   # want: Unknown checkpoint
  output = "gathered2/{sample}.txt"
}
