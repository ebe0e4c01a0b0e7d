// c_hello: prints a greeting on the console and exits with status 0.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("Hello, World!\n");
  exit(0);
}
