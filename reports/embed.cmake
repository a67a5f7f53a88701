# Turns a text file into a C header holding it as a string constant, so the
# HTML report template ships inside the binary (index.html must work alone).
file(READ "${IN}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "/* generated from reports/index.html by reports/embed.cmake */\n"
  "static const char sd_report_template[] = {${bytes} 0x00};\n")
