rule "count" {
  inputs = "data.txt"   # want: Unsupported argument
  output = "counts.txt"
  shel   = "wc -l data.txt > counts.txt"   # want: Unsupported argument
}
