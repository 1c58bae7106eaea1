# load
include = ["inc/cycle_b.hcl"]

rule "a" {
  output = "a.txt"
}
