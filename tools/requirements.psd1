# Build-time PowerShell modules, pinned here and nowhere else (read by build.ps1).
@{
    Pester  = '5.7.1'
    platyPS = '0.14.2'
}
