# Values that should be strings, written bare: they parse as variables.
rule "count" {
  input   = in.txt   # want: Unquoted path
  output  = counts/result.txt   # want: Unquoted path
  log     = ["logs/a.log", logs/b.log]   # want: Unquoted path
  message = counting   # want: Unquoted message
  shell   = hostname   # want: Unquoted shell command
}

rule "fine" {
  input  = wildcards.sample   # want: Unknown wildcard
  output = "fine.txt"
  shell  = "cat ${inputs}"   # want: Unknown variable
}
