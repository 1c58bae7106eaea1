rule "qc" {
  output = "qc.txt"
  shell  = "touch ${output}"
}
