include = ["../include_cycle.hcl"]   # want: Include cycle

rule "b" {
  output = "b.txt"
}
