config {
  n = 3
}

rule "count" {
  output    = "counts.txt"
  threads   = "x"   # want: Incorrect attribute value type
  priority  = 1.5   # want: Invalid number
  resources = {
    mem_mb  = 1.5   # want: Invalid number
  }
  params    = "flags"   # want: Incorrect attribute value type
  shell     = "true"
}

rule "zero" {
  output  = "zero.txt"
  threads = config.n - 3   # want: Invalid threads
}

rule "number_output" {
  output = 3   # want: Incorrect attribute value type
}

rule "missing_config" {
  output = "x.txt"
  params = { n = config.m }   # want: Unknown config key
}
