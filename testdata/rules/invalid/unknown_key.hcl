config {
  samples = ["a", "b"]
  ref     = "ref.fa"
}

rule "all" {
  input = expand("out/{sample}.txt", { sample = config.smaples })   # want: Unknown config key
}

rule "map" {
  input   = [config["reff"], "in/{sample}.fq"]   # want: Unknown config key
  output  = "out/{sample}.txt"
  params  = { extra = "-x", threads = 2 }
  message = try(config.note, "mapping")
  shell   = "map ${params.extras} ${params.extra} > ${output}"   # want: Unknown params key
}

rule "early" {
  output = "${config.outdir}/x.txt"   # want: Unknown config key
}
