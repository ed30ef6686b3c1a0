/* Fixture: built by build.sh as an ordinary PIE executable named
 * libexecutable.so, which the host must refuse as "not a shared library". */
int main(void) { return 0; }
