# load
include = ["inc/qc.hcl", "inc/nope.hcl"]   # want: Missing include

rule "all" {
  input = "qc.txt"
}
