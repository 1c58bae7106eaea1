rules "count" {   # want: Unsupported block type
  output = "counts.txt"
}
