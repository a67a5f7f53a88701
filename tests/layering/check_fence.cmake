# check_fence.cmake — proves that one layer of harness/ is fenced in: with
# exactly the include path the build gives that layer, a header of its own
# and of every layer below it compiles, and a header of any other layer does
# not. Run by ctest (tests/CMakeLists.txt) as
#   cmake -DCC=... -DLAYER=... -DINCLUDES=a;b -DALLOWED=h1;h2 -DFORBIDDEN=h3;h4 -P check_fence.cmake
# where ALLOWED and FORBIDDEN are headers as a source file includes them
# ("wire/bytes.h"). A control that fails to compile fails the test too, so
# the forbidden ones cannot pass for the wrong reason.
set(flags -fsyntax-only -std=c11 -D_POSIX_C_SOURCE=200809L -x c)
foreach(dir ${INCLUDES})
  list(APPEND flags -I${dir})
endforeach()
set(failures "")
function(try_include header outvar)
  file(WRITE ${WORK}/probe_${LAYER}.c "#include \"${header}\"\n")
  execute_process(COMMAND ${CC} ${flags} ${WORK}/probe_${LAYER}.c
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  set(${outvar} ${rc} PARENT_SCOPE)
  set(probe_error "${err}" PARENT_SCOPE)
endfunction()
foreach(header ${ALLOWED})
  try_include(${header} rc)
  if(NOT rc EQUAL 0)
    list(APPEND failures "layer ${LAYER} cannot include its own or a lower header ${header}:\n${probe_error}")
  endif()
endforeach()
foreach(header ${FORBIDDEN})
  try_include(${header} rc)
  if(rc EQUAL 0)
    list(APPEND failures "layer ${LAYER} can include ${header}, from a layer it does not use")
  elseif(NOT probe_error MATCHES "No such file|file not found")
    list(APPEND failures "layer ${LAYER}: ${header} failed for another reason than being out of reach:\n${probe_error}")
  endif()
endforeach()
if(failures)
  string(REPLACE ";" "\n" text "${failures}")
  message(FATAL_ERROR "${text}")
endif()
message(STATUS "layer ${LAYER}: ${ALLOWED} reachable; ${FORBIDDEN} out of reach")
