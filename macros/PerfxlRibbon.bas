Attribute VB_Name = "PerfxlRibbon"
' perfxl ribbon callbacks: one Sub per button of customUI14.xml.
' ASCII only. Chinese text lives in the ribbon XML; any Chinese string here is built with ChrW.
' Each callback hands over to Python; perfxl.addin shows its own message box and never a traceback.
' xlwings module: xlwings.bas (custom add-in variant, PROJECT_NAME "perfxl"), see its Version line.
Option Explicit

Public Sub PerfxlNewProject(control As IRibbonControl)
    If Not PerfxlHasBook() Then Exit Sub
    RunPython "import perfxl.addin as a; a.new_project()"
End Sub

Public Sub PerfxlCheck(control As IRibbonControl)
    If Not PerfxlHasBook() Then Exit Sub
    RunPython "import perfxl.addin as a; a.check()"
End Sub

Public Sub PerfxlScore(control As IRibbonControl)
    If Not PerfxlHasBook() Then Exit Sub
    RunPython "import perfxl.addin as a; a.score()"
End Sub

Public Sub PerfxlSelfEvaluation(control As IRibbonControl)
    If Not PerfxlHasBook() Then Exit Sub
    RunPython "import perfxl.addin as a; a.self_evaluation()"
End Sub

Public Sub PerfxlSummary(control As IRibbonControl)
    If Not PerfxlHasBook() Then Exit Sub
    RunPython "import perfxl.addin as a; a.summary()"
End Sub

Public Sub PerfxlFinalize(control As IRibbonControl)
    If Not PerfxlHasBook() Then Exit Sub
    RunPython "import perfxl.addin as a; a.finalize()"
End Sub

' True when a workbook is open; otherwise tells the user (in Chinese) to open one first.
Private Function PerfxlHasBook() As Boolean
    Dim msg As String, title As String
    If ActiveWorkbook Is Nothing Then
        ' "Please open the workbook to process first."
        msg = ChrW(35831) & ChrW(20808) & ChrW(25171) & ChrW(24320) & ChrW(35201) & ChrW(22788) & _
              ChrW(29702) & ChrW(30340) & ChrW(24037) & ChrW(20316) & ChrW(31807) & ChrW(12290)
        ' "perfxl" tab name
        title = ChrW(32489) & ChrW(25928)
        MsgBox msg, vbInformation, title
        PerfxlHasBook = False
    Else
        PerfxlHasBook = True
    End If
End Function
