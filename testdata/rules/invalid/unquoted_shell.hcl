# A shell command written bare does not even parse; HCL's three errors on
# the line become one hint.
rule "count" {
  input  = "in.txt"
  output = "out.txt"
  shell  = wc -l ${input} > ${output}   # want: Unquoted shell command
}
