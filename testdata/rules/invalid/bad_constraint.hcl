wildcard_constraints = {
  sample = "[a-z"   # want: Invalid wildcard constraint
}

rule "count" {
  output = "counts/{sample}/{id,[0-9}.txt"   # want: Invalid output pattern
  wildcard_constraints = {
    id = "(("   # want: Invalid wildcard constraint
  }
}
