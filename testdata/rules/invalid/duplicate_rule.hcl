rule "count" {
  output = "a.txt"
}

checkpoint "count" {   # want: Duplicate rule
  output = "b.txt"
}

rule "bad name" {   # want: Invalid rule name
  output = "c.txt"
}

config {
  a = 1
}

config {   # want: Duplicate config block
  a = 2
}
