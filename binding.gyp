{
  "targets": [
    {
      "target_name": "prunekit",
      "sources": [
        "<!@(node -e \"const fs=require('fs');for(const d of ['native/kernels','native/binding'])for(const f of fs.readdirSync(d))if(f.endsWith('.cc'))console.log(d+'/'+f)\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/kernels",
        "<!@(node scripts/find-openblas.js include_dirs)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "PRUNEKIT_VERSION=\"<!(node -p \"require('./package.json').version\")\"",
        "<!@(node scripts/find-openblas.js defines)"
      ],
      "libraries": ["<!@(node scripts/find-openblas.js libraries)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wno-maybe-uninitialized", "-Wno-uninitialized"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
