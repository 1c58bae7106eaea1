# load
# configfile: inc/bad.yaml
# want-global: Invalid config file
config {
  samples = ["a"]
}

rule "all" {
  input = expand("{s}.txt", { s = config.samples })
}
